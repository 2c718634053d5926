package kernels

// The AVX-512 kernels are generated with avo from asm/, a separate module,
// so that building this package does not need avo.
//go:generate sh -c "cd asm && go run . -out ../kernels512_amd64.s -stubs ../kernels512_amd64.go -pkg kernels"
