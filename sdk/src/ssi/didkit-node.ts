// didkit for Node (wasm loaded from the package's file). Selected through the "#didkit"
// subpath import of sdk/package.json; never import this file directly.
export * from "@spruceid/didkit-wasm-node";
