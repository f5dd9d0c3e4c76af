-- A failing response's body excerpt is kept apart from the error text, so that only admins are
-- shown what a receiver answered. Rows written before held it in error, as `HTTP <status>: <excerpt>`
-- (the status possibly followed by a note on redirects): it moves to the new column.
ALTER TABLE webhook_deliveries ADD COLUMN response_excerpt text;
UPDATE webhook_deliveries
   SET response_excerpt = substring(error FROM '^HTTP [0-9]{3}(?: \(redirects are not followed\))?: (.*)$'),
       error = substring(error FROM '^(HTTP [0-9]{3}(?: \(redirects are not followed\))?): ')
 WHERE status = 'failed' AND error ~ '^HTTP [0-9]{3}(?: \(redirects are not followed\))?: ';
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_excerpt_on_failure CHECK (status = 'failed' OR response_excerpt IS NULL);
