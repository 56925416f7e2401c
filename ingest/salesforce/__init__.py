"""Salesforce: tasks (logged calls and notes) on accounts, through SOQL with nextRecordsUrl paging."""
