// Package onnx writes featlearn models as ONNX files and reads ONNX files
// as featlearn models.
//
// Export and ExportFile walk the expression graph a model evaluates with
// (graph.Model.EvalProgram) and write one or two ONNX nodes per featlearn
// op, in opset 13: any model of featlearn's ops exports, whether built
// with Sequential, Func, Residual, Concat or layers of one's own. The
// input is "input", (N, C, H, W) or (N, F) with a dynamic batch N; the
// output is "logits"; parameters keep their names; a Meta (model name,
// classes, input normalisation) goes into metadata_props.
//
//	err := onnx.ExportFile(model, "lenet.onnx", onnx.Meta{Classes: onnx.DigitClasses(), Input: onnx.MNISTInput()})
//
// Import and ImportFile build a graph.Model from an ONNX file, whether
// featlearn or PyTorch's torch.onnx.export wrote it: its top layer is a
// *Layer declaring the file's initializers as parameters under their ONNX
// names and adding one featlearn op per ONNX node. The model predicts,
// evaluates, fine-tunes with graph.Fit and checkpoints like any other.
//
//	model, meta, err := onnx.ImportFile("lenet.onnx")
//
// Files are untrusted: sizes are bounded before memory is allocated
// (MaxFileSize, MaxMessages, MaxNodes, MaxTensorElements, MaxParams,
// MaxActivation), graphs that read undefined names or run in cycles are
// refused, and an op, attribute or shape featlearn cannot compute exactly
// is an error naming the node. docs/onnx.md has the op tables and the
// measured agreement with ONNX Runtime and PyTorch.
package onnx
