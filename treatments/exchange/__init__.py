"""What the clinic holds, handed out in standard shapes."""
