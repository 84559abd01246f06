"""The Academy has no background work yet: attempts are scored when submitted, late ones when next touched."""
