"""All SQL, one module per noun: functions take a session and never commit."""
