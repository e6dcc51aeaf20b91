"""The course kit: student edition, grading, and the course check."""
