// Package usermodule holds the test that uses featlearn from a module of
// one's own, exactly as README.md says: a scratch module outside the tree,
// pointed at this checkout with a go.work workspace or a replace
// directive, building and running README's program.
package usermodule
