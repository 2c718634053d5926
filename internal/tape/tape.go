// Package tape runs a gorgonia TapeMachine's program on the calling
// goroutine.
package tape

import (
	"reflect"
	"unsafe"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Runner runs a TapeMachine's whole program on the calling goroutine.
//
// gorgonia's RunAll is built for CUDA: it locks the caller to its OS thread,
// starts a goroutine that executes the program and waits for it on two
// fresh channels. On the CPU this costs two thread hand-offs per run, about
// 30 µs, which is half of a batch-1 LeNet-5 prediction, and leaves a second
// thread to wake the kernels' workers. The machine's own Run method executes
// a fragment of the program in place, with the same instructions, the same
// registers and the same error handling; its argument type is unexported, so
// New reaches it through reflection once. If a future gorgonia changes
// those internals, New reports it and the caller falls back to RunAll.
type Runner struct {
	run  reflect.Value   // the machine's Run method
	args []reflect.Value // the whole program as Run's one argument
}

// New prepares vm to run in place, or returns an error saying why it
// cannot.
func New(vm G.VM) (r *Runner, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, errors.Errorf("tape: %v", p)
		}
	}()
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
	return &Runner{run: run, args: []reflect.Value{frag}}, nil
}

// Run executes the whole program once, as RunAll does. Reset the machine
// before the next run.
func (r *Runner) Run() error {
	out := r.run.Call(r.args)
	if err, _ := out[0].Interface().(error); err != nil {
		return err
	}
	return nil
}
