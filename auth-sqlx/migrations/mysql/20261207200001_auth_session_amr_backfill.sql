-- Sessions from before `amr` and `auth_time`: a password login, at the family's first token
-- (its login), so a refreshed old session does not claim a fresher login than it had.
-- Through a derived table: MySQL cannot read the table it updates in a subquery.
UPDATE auth_refresh_tokens r
JOIN (SELECT family_id, MIN(created_at) AS login FROM auth_refresh_tokens GROUP BY family_id) f
    ON f.family_id = r.family_id
SET r.amr = 'pwd', r.auth_time = f.login
WHERE r.amr IS NULL;
