"""`python -m quantize check|embedder`: the quantization release gate without the coach CLI."""

import sys

from quantize.cli import main

sys.exit(main())
