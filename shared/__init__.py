"""referral211's domain library: business rules, models and the AWS adapters.

Nothing outside `shared.aws` touches boto3; handlers in `functions/` stay thin and call into here.
"""
