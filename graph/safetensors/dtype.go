package safetensors

// dtype describes one element type of the format.
type dtype struct {
	bits uint64 // size of one element in bits
	rank int    // position in the Rust reference's Dtype enum
}

// metadataKey is the header key of the free-form string map.
const metadataKey = "__metadata__"

// dtypeOrder lists the dtypes in the order of the Rust reference's Dtype
// enum, which is by increasing alignment. Write sorts by descending rank,
// as the reference does, so its files match Python's byte for byte.
var dtypeOrder = []struct {
	name string
	bits uint64
}{
	{"BOOL", 8}, {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6},
	{"U8", 8}, {"I8", 8}, {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8},
	{"I16", 16}, {"U16", 16}, {"F16", 16}, {"BF16", 16},
	{"I32", 32}, {"U32", 32}, {"F32", 32}, {"C64", 64},
	{"F64", 64}, {"I64", 64}, {"U64", 64},
}

// dtypes maps every recognised dtype name to its size and rank.
var dtypes = func() map[string]dtype {
	m := make(map[string]dtype, len(dtypeOrder))
	for i, d := range dtypeOrder {
		m[d.name] = dtype{bits: d.bits, rank: i}
	}
	return m
}()
