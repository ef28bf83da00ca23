"""Screen codec: the assist's encoder and the decoder every viewer shares."""
