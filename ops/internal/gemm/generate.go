package gemm

// The micro-kernels are generated with avo from asm/gen.go, a separate
// module, so that building this package does not need avo.
//go:generate sh -c "cd asm && go run . -out ../kernel_amd64.s -stubs ../kernel_amd64.go -pkg gemm"
