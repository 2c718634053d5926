// Package arch reads a network written on one line, a SPEC, and builds
// it from package graph's layers, so a command line can train any
// architecture without Go code:
//
//	conv6@5x5pad2-relu-pool2-conv16@5x5-relu-pool2-fc120-relu-fc84-relu-fc10
//
// is LeNet-5, the string models/lenet records in its checkpoints: the
// SPEC builds exactly lenet.Net()'s layers, with the same names and the
// same initial weights for a seed.
//
// # Grammar
//
// A SPEC is layers joined by '-':
//
//	spec     = item { "-" item }
//	item     = layer | residual | concat
//	residual = "[" spec [ "|" spec ] "]"        body, then the shortcut
//	concat   = "{" spec "|" spec { "|" spec } "}"  branches
//
// The layers (N, K, S and P are whole numbers, F a decimal number):
//
//	conv<N>@<K>x<K>[pad<P>][s<S>][nobias]  convolution: N filters of KxK, stride S (1), zero padding P (0)
//	lc<N>@<K>x<K>[pad<P>][s<S>][nobias]    locally connected: a KxK filter of its own at every position
//	fc<N>[nobias]                          fully connected, N units; a bare "fc" last means one unit per class
//	pool<K>[s<S>][pad<P>]                  max pooling over KxK windows, stride S (K)
//	avgpool<K>[s<S>][pad<P>][exclpad]      average pooling; exclpad leaves padding out of the average
//	gap                                    global average pooling: one value per channel
//	relu, sigmoid, tanh                    nonlinearities
//	lrelu[<F>]                             leaky ReLU of slope F (0.01)
//	bn                                     batch normalisation (PyTorch's defaults)
//	drop<F>                                dropout of rate F, such as drop0.5
//	flatten                                one vector per example (added by itself before an fc)
//	res<N>[s<S>]                           ResNet's basic block (graph.BasicBlock): two 3x3
//	                                       convolutions of N filters with BatchNorm, the first of
//	                                       stride S, a projection shortcut when the shape changes
//
// [body] adds the body's output to its input (graph.Residual); [body|sc]
// adds it to the shortcut sc's output instead, for a body that changes
// the shape. {a|b|c} applies every branch to the same input and
// concatenates their outputs along the channels (graph.Concat).
//
// Layers are named by kind and number, counted within their block:
// conv1, conv2, pool1, fc1, bn1, drop1, lc1, res1, block1 (a residual),
// concat1 with its branch1, branch2; parameters are named by path, such
// as "conv1.weight" or "block1.conv2.weight". Convolutions, locally
// connected and fully connected layers start He-initialised, the
// variance-preserving choice before a ReLU, as LeNet-5's do.
//
// # Examples
//
//	fc300-relu-fc100-relu-fc10                                    the lecture's MLP
//	conv32@3x3pad1-bn-relu-pool2-conv64@3x3pad1-bn-relu-pool2-fc128-relu-drop0.5-fc
//	conv16@3x3pad1nobias-bn-relu-res16-res32s2-res64s2-gap-fc10   a small ResNet
//	conv8@3x3pad1-relu-[conv8@3x3pad1-bn-relu-conv8@3x3pad1-bn]-relu-pool2-fc10
//	conv8@3x3pad1-[conv16@3x3pad1s2-relu|conv16@1x1s2]-relu-gap-fc10
//	{conv4@1x1|conv4@3x3pad1|conv4@5x5pad2}-relu-pool2-fc10        an Inception-style module
//	lc4@5x5s2-relu-fc10                                           the lecture's locally connected layer
//
// # Errors and limits
//
// A mistake names the token, counted from 1 in reading order, and what
// was expected:
//
//	arch: token 3 "conv16@5x": want conv<N>@<K>x<K>[pad<P>][s<S>][nobias]
//
// Check works out every shape and parameter count from the SPEC alone and
// refuses one beyond its Limits (parameters, layers, widths, activation
// values) before anything is allocated.
package arch
