package onnx

import (
	"github.com/pkg/errors"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The bounds Import holds a file to, each checked before the memory it
// would take is allocated.
const (
	// MaxFileSize is the largest file Import reads, 1 GiB.
	MaxFileSize = 1 << 30
	// MaxMessages bounds the protobuf messages (nodes, attributes,
	// tensors, ...) in a file, counted before it is decoded: each costs a
	// few hundred bytes of memory for a few bytes of file.
	MaxMessages = 1 << 19
	// MaxNodes bounds the nodes of the graph.
	MaxNodes = 1 << 16
	// MaxTensorElements bounds the values of one tensor (initializer or
	// constant), 2^28: 1 GiB of float32.
	MaxTensorElements = 1 << 28
	// MaxParams bounds the values of all the parameters together.
	MaxParams = 1 << 28
	// MaxActivation bounds the values of every intermediate tensor of one
	// example, 2^26.
	MaxActivation = 1 << 26
	// maxRank bounds the number of dimensions of any tensor.
	maxRank = 8
	// maxIntElements bounds integer tensors, which only describe shapes.
	maxIntElements = 1 << 12
	// maxDepth bounds the nesting of messages.
	maxDepth = 32
)

// prescan walks the wire form of a message of descriptor md without
// decoding it, counting the messages it holds and their nesting, so that
// a file of a million tiny nodes is refused before a million nodes are
// allocated. It checks framing only as far as it needs to; proto's
// decoder checks the rest.
func prescan(b []byte, md protoreflect.MessageDescriptor) error {
	count := 0
	return prescanMessage(b, md, 0, &count)
}

func prescanMessage(b []byte, md protoreflect.MessageDescriptor, depth int, count *int) error {
	if depth > maxDepth {
		return errors.Errorf("messages nested deeper than %d", maxDepth)
	}
	*count++
	if *count > MaxMessages {
		return errors.Errorf("more than %d protobuf messages", MaxMessages)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errors.Wrap(protowire.ParseError(n), "not an ONNX model: malformed protobuf")
		}
		b = b[n:]
		if typ != protowire.BytesType {
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return errors.Wrap(protowire.ParseError(m), "not an ONNX model: malformed protobuf")
			}
			b = b[m:]
			continue
		}
		v, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return errors.Wrap(protowire.ParseError(m), "not an ONNX model: malformed protobuf")
		}
		b = b[m:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || fd.Message() == nil {
			continue
		}
		if err := prescanMessage(v, fd.Message(), depth+1, count); err != nil {
			return err
		}
	}
	return nil
}
