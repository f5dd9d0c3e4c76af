-- Every change to an API token (a revocation above all) notifies channel rollgate_api_tokens in
-- the changing transaction, with the token id as payload, so that running API processes drop
-- the principals they cache as soon as it commits, whichever way the token was changed.
CREATE FUNCTION notify_api_token_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rollgate_api_tokens', OLD.token_id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_tokens_notify_change
  AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_api_token_change();
