// Package graph builds, trains and runs models declared as gorgonia
// expression graphs.
//
// The story fits on one screen:
//
//  1. A Model is a Layer (usually a Sequential of Dense, Conv2D, MaxPool2D,
//     ReLU, ...) plus its named parameters. NewModel walks the layers once
//     with the per-example input shape, checks every shape and draws every
//     weight from one seeded generator, so a seed fixes the whole model.
//  2. A Program is the model instantiated in its own gorgonia ExprGraph for
//     one batch size. Its parameter nodes are bound to the model's weight
//     tensors, so every program of a model (training at batch 64, evaluation
//     at batch 1000, prediction at batch 1, the last partial batch) sees the
//     same weights without copying.
//  3. For training, the program adds a loss node and asks G.Grad for the
//     symbolic gradient of the loss with respect to every parameter. The
//     gradient nodes feed capture ops that copy each gradient into a buffer
//     the trainer owns, so gorgonia's register reuse cannot clobber it and
//     nothing accumulates between steps (no BindDualValues).
//  4. A gorgonia TapeMachine runs the program: forward, then reverse-mode
//     backward. The Optimizer then updates the weights in place from the
//     captured gradients, and the next step starts.
//
// Data reaches Fit as a Dataset. ImageData serves a datasets.Set of
// bytes, converted to pixel/255 on both cores as each batch is gathered;
// ImageDataWith adds per-channel normalisation and random distortions
// (Augment: shifts, rotations, scalings, shears, flips) that are a pure
// function of a seed, the epoch and the example, so that training with
// them stays reproducible and resumes exactly.
//
// Everything differentiable in the graph is an op from package ops, each
// checked against finite differences there.
package graph
