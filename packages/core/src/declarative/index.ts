// Filled in by the declarative-schema work: YAML validator documents and their checker.
export {}
