package kernels

// float is the set of element types every kernel supports.
type float interface{ ~float32 | ~float64 }
