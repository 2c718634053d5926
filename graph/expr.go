package graph

// EvalProgram builds the model's evaluation-mode program for a batch size,
// the expression graph Predict runs, for tools that translate a model into
// another format (the ONNX exporter walks it). Its Graph holds one node per
// op of package ops or gorgonia (Flatten is a gorgonia Reshape), Input is
// the input node, Output the output node, and every parameter is a node
// without an op, named as the model names it and bound to its tensor.
// Buffers are not nodes: ops read them, as BatchNorm reads its running
// statistics from ops.BatchNormParams. Dropout is absent, being the
// identity when evaluating. The program is not compiled; it is a fresh
// graph each call, which the caller may inspect freely.
func (m *Model) EvalProgram(batch int) (*Program, error) {
	return m.build(batch, false, false)
}
