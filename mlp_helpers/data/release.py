"""What the official CIFAR-10 "python version" is: where it comes from, its checksum, its file names.

Plain constants. Nothing here imports anything, so any module of this package may import them.
"""

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"  # of the archive only; re-encoded copies of the batches still load
ENV_VAR = "CIFAR10_DIR"  # names a copy made elsewhere; it wins over data/ and is never written to
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

ARCHIVE_NAME = "cifar-10-python.tar.gz"
BATCHES_FOLDER = "cifar-10-batches-py"
BATCH_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

# Rounded up, for messages that tell the user how much disk space to free.
ARCHIVE_MB = 170   # the download (163 MiB)
EXTRACTED_MB = 190  # the six batches plus batches.meta (178 MiB)
