// Reading a File (or any Blob) in the browser as a stream of byte chunks, for the SDK's streamed
// readers (encryption, CSV checks, the anonymiser).

/** The blob's bytes as chunks (ReadableStream is not async-iterable in every browser). */
export async function* chunksOf(file: Blob): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
