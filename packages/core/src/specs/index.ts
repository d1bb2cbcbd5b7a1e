// Filled in by the specs work: typebox spec schemas, loaders and the compatibility checker.
export {}
