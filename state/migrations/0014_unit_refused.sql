-- A unit of independent writes runs on PostgreSQL as one statement, in one round trip
-- (state/one_statement.py). When one of its writes changes no row and should refuse the
-- unit, the statement calls this: the error rolls the whole statement back, and its detail
-- says which write refused. SQLite runs a unit's writes one by one and needs nothing.
CREATE FUNCTION unit_refused(statement INTEGER) RETURNS INTEGER   -- only: postgres
LANGUAGE plpgsql VOLATILE AS $$                                   -- only: postgres
BEGIN                                                             -- only: postgres
    RAISE EXCEPTION 'unit refused' USING DETAIL = statement::TEXT; -- only: postgres
END;                                                              -- only: postgres
$$;                                                               -- only: postgres
