"""What is planned, done and sent: protocols, courses, sessions, aftercare, messages."""
