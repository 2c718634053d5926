package graph

import (
	"reflect"
	"unsafe"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// tapeRunner runs a TapeMachine's whole program on the calling goroutine.
//
// gorgonia's RunAll is built for CUDA: it locks the caller to its OS thread,
// starts a goroutine that executes the program and waits for it on two
// fresh channels. On the CPU this costs two thread hand-offs per run, about
// 30 µs, which is half of a batch-1 LeNet-5 prediction, and leaves a second
// thread to wake the kernels' workers. The machine's own Run method executes
// a fragment of the program in place, with the same instructions, the same
// registers and the same error handling; its argument type is unexported, so
// tapeRunner reaches it through reflection once, at compile time. If a
// future gorgonia changes those internals, newTapeRunner reports it and the
// program falls back to RunAll.
type tapeRunner struct {
	run  reflect.Value   // the machine's Run method
	args []reflect.Value // the whole program as Run's one argument
}

// newTapeRunner prepares vm to run in place, or returns an error saying why
// it cannot.
func newTapeRunner(vm G.VM) (r *tapeRunner, err error) {
	defer recoverTo(&err)
	mv := reflect.ValueOf(vm)
	run := mv.MethodByName("Run")
	prog := mv.MethodByName("Prog")
	if !run.IsValid() || !prog.IsValid() || run.Type().NumIn() != 1 || prog.Type().NumIn() != 0 {
		return nil, errors.Errorf("%T has no Run(fragment) and Prog() methods", vm)
	}
	p := prog.Call(nil)[0]
	if p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return nil, errors.Errorf("%T.Prog returns %v, not a program", vm, p.Type())
	}
	f := p.Elem().FieldByName("instructions")
	if !f.IsValid() || f.Type() != run.Type().In(0) {
		return nil, errors.Errorf("%v has no instructions field of Run's argument type", p.Type())
	}
	// The field is unexported: reflect would refuse to pass it to Call, so
	// read it through its address instead. The slice is not modified.
	frag := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	return &tapeRunner{run: run, args: []reflect.Value{frag}}, nil
}

// runAll executes the whole program once.
func (r *tapeRunner) runAll() error {
	out := r.run.Call(r.args)
	if err, _ := out[0].Interface().(error); err != nil {
		return err
	}
	return nil
}
