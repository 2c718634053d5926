// Package kernels holds the numeric kernels behind featlearn's ops: plain
// slices in, plain slices out, no gorgonia. The ops package keeps, per op
// family, the gorgonia op, its gradient op and their gradient-check tests,
// and calls the dispatch functions below only; nothing here calls back
// into ops.
//
// Every family has one file (conv.go, dense.go, pool.go, batchnorm.go, ...)
// with one dispatch function per direction (forward, input gradient,
// weight gradient), which decides in one place which implementation runs.
// Implementations live in files of their own and never call a dispatch
// function. Where an implementation has assembly, the instruction-set level
// (package isa: AVX-512, AVX2 or generic, from the CPU and FEATLEARN_CPU)
// picks the micro-kernel; every level gives results that the tests compare
// with naive references, level by level.
//
// The rules, float32 unless said otherwise ("AVX2" means the level is at
// least AVX2; float64 always takes the generic column):
//
//	pass                    rule, first match wins                                             implementation
//	ConvForward             stride ≠ 1 or 1×1 pointwise                                         im2col + SGEMM (conv_im2col.go)
//	                        float64, or no AVX2                                                 flat grid + SGEMM (conv_flat.go)
//	                        more than 8 output channels, AVX-512                                transposed direct, ZMM tiles of ≤ 4 rows × ≤ 14 positions × 16|32 channels
//	                        more than 8 output channels                                         transposed direct kernel, 6 positions × 16 channels (conv_direct_t.go)
//	                        otherwise                                                           direct 6×16 kernel (conv_direct.go)
//	ConvInputGrad           stride ≠ 1 or pointwise                                             im2col + SGEMM
//	                        float64, or no AVX2                                                 flat grid + SGEMM
//	                        5-row filters ≤ 8 wide, no padding, ≤ 64 outputs, dy ≤ 35 % nonzero
//	                          in its first 4 samples, w and dy finite                           sparse (conv_sparse.go)
//	                        padding ≤ filter-1, w finite: the direct forward of the flipped
//	                          filters over dy, transposed for more than 8 input channels
//	                          (AVX-512: its ZMM tiles)                                         direct / transposed direct
//	                        otherwise                                                           flat grid + SGEMM
//	ConvFilterGrad          stride ≠ 1 or pointwise                                             im2col + SGEMM
//	                        float64, or no AVX2                                                 flat grid + SGEMM
//	                        5-row filters ≤ 8 wide, dy ≤ 35 % nonzero, x finite                 sparse (conv_sparse.go)
//	                        at most 8 output channels                                           dot products of tap windows (conv_direct_dw.go)
//	                        AVX-512, filters ≤ 5 wide                                           ZMM tiles of filter rows × 16|32 channels over tap windows
//	                        otherwise                                                           6×16 kernel over tap windows (conv_direct_dw.go)
//	ConvBiasGrad            always                                                              float64 sums per channel
//	DenseForward            ≥ 8 M multiply-adds, AVX2, x ≤ 35 % nonzero in its first 8 rows,
//	                          then ≤ 70 % of the steps kept and w finite                        sparse gather (dense_sparse.go), 6×16 tiles;
//	                                                                                              AVX-512: 6×32 (two panels a call)
//	                        otherwise                                                           SGEMM
//	DenseWeightGrad         as DenseForward, by 16-column panels, dy finite                     sparse gather (AVX-512: pairs of panels)
//	                        otherwise                                                           SGEMM
//	DenseInputGrad          always                                                              SGEMM
//	MaxPoolForward          2×2 windows, stride 2, AVX-512                                      8-window row loops, last step masked (pool2x2.go)
//	                        2×2 windows, stride 2, AVX2, rows of ≥ 4 windows (or ≥ 8 a plane)   vector 2×2 kernels (pool2x2.go)
//	                        2×2 windows, stride 2                                               unrolled Go loops
//	                        otherwise                                                           general Go loops
//	MaxPoolBackward         as MaxPoolForward; a fused ReLU's gradient is applied inside the
//	                          vector row kernels, else by a masked copy of dy first
//	BatchNorm (each pass)   inputs with planes, AVX-512                                         ZMM channel loops, the AVX2 loops' bits; the
//	                                                                                              gradients of gamma and beta in one pass over dy
//	                        inputs with planes, AVX2                                            vector channel loops (batchnorm_kernels.go)
//	                        (N, C) inputs                                                       row loops along the channels
//	                        otherwise                                                           Go channel loops
//	Adam (float32)          AVX-512                                                             ZMM loop (float64 sqrt and division eight at a time)
//	                        otherwise                                                           Go loop, the same bits
//	elementwise, SGD        AVX2 (AVX-512 too: they are bound by memory)                        vector loops, the tails in Go
//	                        otherwise                                                           Go loops, the same bits
//
// SGEMM is ops/internal/gemm, which picks its micro-kernels by the same
// level: AVX-512 12×32 and 12×16 tiles and a 3×8 dot-product tile for
// A·Bᵀ (with the AVX2 3×4 tile's bits), AVX2 6×16, 6×8, 12×8 and 3×4
// tiles, or a pure-Go 4×4 tile. The convolutions' and pooling's AVX-512
// kernels give the AVX2 ones' bits too, so a network trains the same at
// either level (the GEMM's own blocking may still differ between them).
//
// Parallel work runs on the one worker pool (ops/internal/workers); every
// kernel splits it so that each output element is computed by one thread
// in a fixed order, and reductions over the batch sum fixed chunks in chunk
// order, so results are bit-identical on any number of cores.
package kernels
