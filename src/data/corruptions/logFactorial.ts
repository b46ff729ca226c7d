// ln k! for the Poisson acceptance test: summed logarithms below 30, then Stirling's series,
// whose first omitted term, 1/(1188·k⁹), is below 1e-16 from k = 30 on.

const TABLE_SIZE = 30;
const TABLE = (() => {
  const table = new Float64Array(TABLE_SIZE);
  for (let k = 2; k < TABLE_SIZE; k++) table[k] = table[k - 1]! + Math.log(k);
  return table;
})();
const HALF_LN_TWO_PI = 0.5 * Math.log(2 * Math.PI);

export function logFactorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) throw new Error(`logFactorial needs an integer k ≥ 0, got ${k}`);
  if (k < TABLE_SIZE) return TABLE[k]!;
  const inverse = 1 / k;
  const inverseSquared = inverse * inverse;
  const series = inverse * (1 / 12 - inverseSquared * (1 / 360 - inverseSquared * (1 / 1260 - inverseSquared / 1680)));
  return (k + 0.5) * Math.log(k) - k + HALF_LN_TWO_PI + series;
}
