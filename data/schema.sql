-- quantum_frames reference schema: the three V3 tables of SPEC §2.
-- team_quantum_dna_v3 (60 columns), quantum_friction_matrix_v3 (32), quantum_strategies_v3 (29).
--
-- psql -f data/schema.sql creates them in schema "quantum". `quantum-frames seed-db` runs the
-- part below the "tables" marker with search_path set to the schema it was given.
CREATE SCHEMA IF NOT EXISTS quantum;
SET search_path TO quantum;

-- tables --
CREATE TABLE team_quantum_dna_v3 (
    -- identification
    team_id                     SERIAL PRIMARY KEY,
    team_name                   VARCHAR(120) NOT NULL UNIQUE,
    team_name_normalized        VARCHAR(120),
    league                      VARCHAR(80) NOT NULL,
    tier                        VARCHAR(10) NOT NULL,
    tier_rank                   INTEGER,
    -- intelligence & strategy
    team_intelligence_id        INTEGER,
    current_style               VARCHAR(40),
    style_confidence            INTEGER,
    team_archetype              VARCHAR(60),
    best_strategy               VARCHAR(60),
    betting_identity            JSONB,
    -- performance
    total_matches               INTEGER,
    total_bets                  INTEGER,
    total_wins                  INTEGER,
    total_losses                INTEGER,
    win_rate                    DOUBLE PRECISION,
    total_pnl                   DOUBLE PRECISION,
    roi                         DOUBLE PRECISION,
    avg_clv                     DOUBLE PRECISION,
    unlucky_losses              INTEGER,
    bad_analysis_losses         INTEGER,
    unlucky_pct                 DOUBLE PRECISION,
    -- DNA vectors (25)
    market_dna                  JSONB,
    context_dna                 JSONB,
    temporal_dna                JSONB,
    nemesis_dna                 JSONB,
    psyche_dna                  JSONB,
    roster_dna                  JSONB,
    physical_dna                JSONB,
    luck_dna                    JSONB,
    tactical_dna                JSONB,
    chameleon_dna               JSONB,
    meta_dna                    JSONB,
    sentiment_dna               JSONB,
    clutch_dna                  JSONB,
    shooting_dna                JSONB,
    card_dna                    JSONB,
    corner_dna                  JSONB,
    form_analysis               JSONB,
    current_season              JSONB,
    status_2025_2026            JSONB,
    profile_2d                  JSONB,
    signature_v3                JSONB,
    advanced_profile_v8         JSONB,
    friction_signatures         JSONB,
    narrative_tactical_profile  JSONB,
    narrative_mvp               JSONB,
    -- strategy & optimisation (5)
    exploit_markets             JSONB,
    avoid_markets               JSONB,
    optimal_scenarios           JSONB,
    optimal_strategies          JSONB,
    quantum_dna_legacy          JSONB,
    -- tags
    narrative_fingerprint_tags  TEXT[] DEFAULT '{}'::TEXT[],
    -- metadata
    narrative_profile           TEXT,
    dna_fingerprint             VARCHAR(64) UNIQUE,
    season                      VARCHAR(9),
    created_at                  TIMESTAMPTZ DEFAULT now(),
    updated_at                  TIMESTAMPTZ DEFAULT now(),
    last_audit_at               TIMESTAMP
);
CREATE INDEX ix_team_quantum_dna_v3_team_name ON team_quantum_dna_v3 (team_name);
CREATE INDEX ix_team_quantum_dna_v3_league ON team_quantum_dna_v3 (league);

CREATE TABLE quantum_friction_matrix_v3 (
    friction_id             SERIAL PRIMARY KEY,
    team_home_id            INTEGER NOT NULL REFERENCES team_quantum_dna_v3 (team_id),
    team_away_id            INTEGER NOT NULL REFERENCES team_quantum_dna_v3 (team_id),
    team_home_name          VARCHAR(120),
    team_away_name          VARCHAR(120),
    league                  VARCHAR(80),
    season                  VARCHAR(9),
    friction_score          DOUBLE PRECISION,
    friction_level          VARCHAR(10),
    style_clash_score       DOUBLE PRECISION,
    tempo_friction          DOUBLE PRECISION,
    tactical_friction       DOUBLE PRECISION,
    psychological_friction  DOUBLE PRECISION,
    physical_friction       DOUBLE PRECISION,
    historical_friction     DOUBLE PRECISION,
    h2h_matches             INTEGER,
    h2h_home_wins           INTEGER,
    h2h_draws               INTEGER,
    h2h_away_wins           INTEGER,
    h2h_avg_goals           DOUBLE PRECISION,
    h2h_btts_rate           DOUBLE PRECISION,
    h2h_over25_rate         DOUBLE PRECISION,
    predicted_goals         DOUBLE PRECISION,
    predicted_btts_prob     DOUBLE PRECISION,
    predicted_over25_prob   DOUBLE PRECISION,
    chaos_potential         DOUBLE PRECISION,
    confidence              DOUBLE PRECISION,
    friction_vector         JSONB,
    style_matchup           JSONB,
    market_edges            JSONB,
    created_at              TIMESTAMPTZ DEFAULT now(),
    updated_at              TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_friction_pair_season UNIQUE (team_home_id, team_away_id, season)
);

CREATE TABLE quantum_strategies_v3 (
    strategy_id             SERIAL PRIMARY KEY,
    team_id                 INTEGER NOT NULL REFERENCES team_quantum_dna_v3 (team_id),
    team_name               VARCHAR(120),
    league                  VARCHAR(80),
    season                  VARCHAR(9),
    strategy_name           VARCHAR(60) NOT NULL,
    strategy_type           VARCHAR(40),
    market_type             VARCHAR(40),
    context_filters         JSONB,
    parameters              JSONB,
    conviction              DOUBLE PRECISION,
    conviction_level        VARCHAR(20),
    is_active               BOOLEAN DEFAULT true,
    is_best_strategy        BOOLEAN DEFAULT false,
    priority                INTEGER,
    total_bets              INTEGER,
    wins                    INTEGER,
    losses                  INTEGER,
    win_rate                DOUBLE PRECISION,
    roi                     DOUBLE PRECISION,
    total_pnl               DOUBLE PRECISION,
    avg_odds                DOUBLE PRECISION,
    avg_clv                 DOUBLE PRECISION,
    max_drawdown            DOUBLE PRECISION,
    sharpe_ratio            DOUBLE PRECISION,
    kelly_fraction          DOUBLE PRECISION,
    performance_by_context  JSONB,
    created_at              TIMESTAMPTZ DEFAULT now(),
    updated_at              TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX ix_quantum_strategies_v3_team_id ON quantum_strategies_v3 (team_id);
