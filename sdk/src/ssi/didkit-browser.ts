// didkit for browsers (bundler build of the same wasm, 8.9 MB / 2.3 MB gzip): bundlers pick this
// file through the "browser" condition of the "#didkit" subpath import of sdk/package.json, and
// because it is only reached through a dynamic import() it lands in its own lazily loaded chunk.
export * from "@spruceid/didkit-wasm";
