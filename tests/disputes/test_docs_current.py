from django.core.management import call_command


def test_lifecycle_and_deadline_docs_match_the_table():
    # Fails when the transitions table or a rule pack changes without regenerating docs/.
    call_command("lifecycle_doc", "--check")
