// Package notebooks holds featlearn's Jupyter notebooks, which are not Go
// code, and the tests that check them.
//
// The notebooks in this folder run on the GoNB kernel, those in
// gophernotes/ on gophernotes. notebooks/run.sh and notebooks/gophernotes.sh
// install the kernels and execute them headlessly; docs/notebooks.md says
// how to use them. The tests here check, without Jupyter, that every
// notebook is committed executed and without errors, and that it imports
// only featlearn's packages, the standard library and its kernel's display
// package, never gorgonia or its tensors. With FEATLEARN_NOTEBOOKS=1 they
// also run notebooks/run.sh.
package notebooks
