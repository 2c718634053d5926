package ops

import G "gorgonia.org/gorgonia"

// LocallyConnected2D is a convolution whose filters are not shared: every
// output position (oh, ow) has its own filter bank. x has shape
// (N, C, H, W), w has shape (out, OH, OW, C, kh, kw) and the bias b has
// shape (out, OH, OW), or is nil for none. The result has shape
// (N, out, OH, OW) with OH = (H + 2·PadH - kh)/StrideH + 1 and OW likewise,
// which must match w.
//
// Gradients flow to x, w and b. The batch size is read from the values at
// run time, so one op serves every batch size.
func LocallyConnected2D(x, w, b *G.Node, p ConvParams) (*G.Node, error) {
	return newConv(localConv, x, w, b, p)
}

// The kernels below work one output position q at a time: the filters of q
// form an (out × k) matrix inside w with row stride p·k, so the whole batch
// at q is a single gemm with the gathered patches.
