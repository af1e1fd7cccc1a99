-- After the approval: ConsentID set up together, and passports. (Conventions: 0001_init.sql.)

-- Which document the person brings: the number in id_number is of an ID card or a passport.
ALTER TABLE registrations ADD COLUMN document TEXT NOT NULL DEFAULT 'id_card';

-- Where each approved person is in setting up ConsentID: the step (1 install .. 6 first
-- login) and the problem last reported there. No personal data: the officer's screen joins
-- it to the registration. Every change is made over the version read.
CREATE TABLE activations (
    ref        TEXT    NOT NULL PRIMARY KEY REFERENCES registrations (ref),
    step       INTEGER NOT NULL,
    problem    TEXT,
    updated_at BIGINT  NOT NULL,
    version    BIGINT  NOT NULL
);

-- A help visit booked from the activation flow: one per registration (a new booking moves
-- it). It takes a place in the hall's visit slot like a registration's visit does.
CREATE TABLE help_visits (
    ref        TEXT   NOT NULL PRIMARY KEY REFERENCES registrations (ref),
    hall       TEXT   NOT NULL,
    visit_at   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX help_visits_by_slot ON help_visits (hall, visit_at);

-- The activation report reads approvals, first logins and problems by action and time.
CREATE INDEX audit_log_by_action ON audit_log (action, at);
