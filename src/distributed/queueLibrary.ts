// BullMQ and ioredis are optional peer dependencies, like webgpu: the library and the other
// commands run without them. The queue commands load their modules through this, so that a
// missing package is one line saying what to install.
export async function loadQueueModule<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /\b(bullmq|ioredis)\b/.test(message)) {
      throw new Error('the study queue needs the optional peer dependencies `bullmq` and `ioredis`, which are not installed: run `npm install bullmq ioredis`');
    }
    throw error;
  }
}
