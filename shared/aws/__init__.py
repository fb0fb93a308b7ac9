"""AWS adapters: the only modules that touch boto3. One module per service; `ClientError` codes are translated
into domain errors here, once."""
