"""Stage 3 of the chain: landmark smoothing (One Euro), the live per-frame filter and its whole-trace twin."""
