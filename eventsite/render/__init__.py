"""Stage 6, render: the resolved graph and the page plan -> bytes of every output file."""
