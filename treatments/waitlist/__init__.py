"""The waitlist: patients waiting for a course's next session, offered freed slots one by one."""
