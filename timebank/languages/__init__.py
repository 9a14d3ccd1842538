"""The languages the pages are shown in, and each person's choice of one."""
