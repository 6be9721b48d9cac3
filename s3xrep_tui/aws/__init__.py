"""Everything that talks to AWS through boto3. No Textual here."""
