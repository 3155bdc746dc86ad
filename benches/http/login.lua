-- wrk script: POST /auth/login as the OAuth2 password form.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=loaduser&password=load+test+passphrase+for+wrk"
