BEGIN TRANSACTION;
CREATE TABLE "_migrations" (
   "name" TEXT PRIMARY KEY,
   "applied_at" REAL
);
INSERT INTO "_migrations" VALUES('m001_settings',1.79604731935305237766e+09);
INSERT INTO "_migrations" VALUES('m002_jds_and_decodes',1.796047319354716301e+09);
INSERT INTO "_migrations" VALUES('m003_competency_matrix',1.79604731935535120966e+09);
INSERT INTO "_migrations" VALUES('m004_stories',1.79604731936472797391e+09);
INSERT INTO "_migrations" VALUES('m005_interviews',1.79604731936691951752e+09);
INSERT INTO "_migrations" VALUES('m006_bench_runs',1.79604731936735701565e+09);
CREATE TABLE "answers" (
   "id" INTEGER PRIMARY KEY,
   "interview_id" INTEGER REFERENCES "interviews"("id"),
   "idx" INTEGER,
   "text" TEXT,
   "submitted_at" REAL
);
INSERT INTO "answers" VALUES(1,1,0,'I owned the offline evaluation suite for our support assistant: 1,200 labelled conversations, faithfulness and answer relevance per release, and a launch gate at 0.85. When a retriever change dropped faithfulness from 0.91 to 0.78 I traced it to chunking, rolled back in a day, and added a regression test; the next quarter had zero launch rollbacks.',1.79604731949162220961e+09);
CREATE TABLE "bench_runs" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT,
   "model_id" TEXT,
   "fingerprint" TEXT,
   "figures" TEXT,
   "created_at" REAL
);
INSERT INTO "bench_runs" VALUES(1,'app-stream','qwen2.5-coder-1.5b-instruct-q4_k_m','{"cpu": "test"}','{"p95_ms": 71.5}',2.0);
CREATE TABLE "decodes" (
   "id" INTEGER PRIMARY KEY,
   "jd_id" INTEGER REFERENCES "jds"("id"),
   "taxonomy_version" TEXT,
   "json" TEXT,
   "created_at" REAL
);
INSERT INTO "decodes" VALUES(1,1,'2026.11.1','{"taxonomy_version": "2026.11.1", "characters": 2865, "clusters": [{"id": "product_sense", "name": "Product sense & experimentation", "weight": 5.5, "mentions": 6, "spans": [[28, 36], [193, 202], [1229, 1238], [1335, 1343], [1684, 1692], [2440, 2448]], "terms": ["customer", "customers", "end-user"], "quotes": ["Customer", "customers", "customers", "customer", "end-user", "customer"]}, {"id": "prompting", "name": "Prompting & structured output", "weight": 4.0, "mentions": 4, "spans": [[668, 675], [1449, 1455], [1986, 1999], [2001, 2019], [2265, 2271]], "terms": ["prompts", "prompt", "prompt design", "structured outputs"], "quotes": ["prompts", "prompt", "prompt design", "structured outputs", "prompt"]}, {"id": "agents_tools", "name": "Agents & tool use", "weight": 3.0, "mentions": 3, "spans": [[680, 690], [1125, 1130], [2021, 2037]], "terms": ["tool calls", "agent", "function calling"], "quotes": ["tool calls", "agent", "function calling"]}, {"id": "leadership", "name": "Leadership, ownership & mentoring", "weight": 2.0, "mentions": 2, "spans": [[893, 912], [1771, 1777]], "terms": ["technical direction", "mentor"], "quotes": ["technical direction", "Mentor"]}, {"id": "retrieval_rag", "name": "Retrieval & RAG", "weight": 2.0, "mentions": 2, "spans": [[953, 983], [1005, 1013], [1058, 1067], [1069, 1078], [1091, 1100], [2042, 2051], [2053, 2066], [2068, 2072], [2074, 2083]], "terms": ["retrieval-augmented generation", "chunking", "retrieval", "reranking", "citations", "vector stores", "bm25", "rerankers"], "quotes": ["retrieval-augmented generation", "chunking", "retrieval", "reranking", "citations", "retrieval", "vector stores", "BM25", "rerankers"]}, {"id": "safety_privacy", "name": "Safety, security & privacy", "weight": 2.0, "mentions": 2, "spans": [[1256, 1266], [1641, 1647], [1654, 1670], [1702, 1715]], "terms": ["guardrails", "safety", "prompt-injection", "pii redaction"], "quotes": ["guardrails", "safety", "prompt-injection", "PII redaction"]}, {"id": "evaluation", "name": "Evaluation & quality", "weight": 2.0, "mentions": 2, "spans": [[1298, 1308], [1319, 1330], [1354, 1366], [1367, 1374], [1413, 1430], [2100, 2104]], "terms": ["evaluation", "golden sets", "llm-as-judge", "rubrics", "regression suites", "eval"], "quotes": ["evaluation", "golden sets", "LLM-as-judge", "rubrics", "regression suites", "eval"]}], "verbs": [{"verb": "set", "spans": [[885, 888]]}, {"verb": "own", "spans": [[945, 948]]}, {"verb": "design", "spans": [[1114, 1120]]}, {"verb": "define", "spans": [[1287, 1293]]}, {"verb": "lead", "spans": [[1541, 1545]]}, {"verb": "drive", "spans": [[1631, 1636]]}, {"verb": "mentor", "spans": [[1771, 1777]]}, {"verb": "review", "spans": [[1806, 1812]]}], "level": {"value": "L5", "reason": "the text itself names the level (''Senior LLM Engineer'')", "years": 5, "evidence": [{"text": "5+ years of", "span": [1855, 1866], "kind": "years", "points": 0.0}, {"text": "Senior LLM Engineer", "span": [7, 26], "kind": "title word", "points": 0.0}, {"text": "Senior", "span": [7, 13], "kind": "senior", "points": 1.5}, {"text": "Support", "span": [37, 44], "kind": "junior", "points": -1.0}, {"text": "support", "span": [124, 131], "kind": "junior", "points": -1.0}, {"text": "assistant", "span": [240, 249], "kind": "junior", "points": -1.0}, {"text": "technical direction", "span": [893, 912], "kind": "staff", "points": 2.0}, {"text": "set the technical direction", "span": [885, 912], "kind": "staff", "points": 2.0}, {"text": "Own", "span": [945, 948], "kind": "senior", "points": 1.0}, {"text": "Define", "span": [1287, 1293], "kind": "senior", "points": 1.0}, {"text": "trade-offs", "span": [1474, 1484], "kind": "senior", "points": 1.0}, {"text": "lead", "span": [1541, 1545], "kind": "senior", "points": 1.0}, {"text": "Drive", "span": [1631, 1636], "kind": "senior", "points": 1.0}, {"text": "assistant", "span": [1746, 1755], "kind": "junior", "points": -1.0}, {"text": "Mentor", "span": [1771, 1777], "kind": "senior", "points": 1.0}, {"text": "mid-level", "span": [1782, 1791], "kind": "junior", "points": -1.5}, {"text": "support", "span": [2405, 2412], "kind": "junior", "points": -0.5}, {"text": "support", "span": [2449, 2456], "kind": "junior", "points": -0.5}]}, "flavor": {"value": "llm_engineer", "scores": {"ml_engineer": 0.106, "llm_engineer": 0.407, "applied_ai_engineer": 0.187, "ai_product_engineer": 0.3}, "evidence": [{"text": "Prompting & structured output", "span": [668, 675], "kind": "cluster", "points": 4.0}, {"text": "Agents & tool use", "span": [680, 690], "kind": "cluster", "points": 3.0}, {"text": "LLM Engineer", "span": [14, 26], "kind": "llm_engineer", "points": 1.5}, {"text": "llm_engineer", "span": [64, 76], "kind": "llm_engineer", "points": 1.5}, {"text": "retrieval-augmented generation", "span": [953, 983], "kind": "llm_engineer", "points": 1.5}, {"text": "agent", "span": [1125, 1130], "kind": "llm_engineer", "points": 1.5}, {"text": "LLM-as-judge", "span": [1354, 1366], "kind": "llm_engineer", "points": 1.5}, {"text": "prompt-injection", "span": [1654, 1670], "kind": "llm_engineer", "points": 1.5}]}, "notes": ["Also mentioned, below the top 7: Technical depth: ML/CS fundamentals & coding (2), Model training & fine-tuning (1.5), Cross-functional collaboration & communication (1), System design & architecture (1)."]}',1.79604731944300270076e+09);
CREATE TABLE "events" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT,
   "detail" TEXT,
   "at" REAL
);
INSERT INTO "events" VALUES(1,'decode','LLM engineer, support automation [real JD]',1.79604731944333100316e+09);
INSERT INTO "events" VALUES(2,'answer','product_sense',1.7960473195092413425e+09);
CREATE TABLE "interview_questions" (
   "interview_id" INTEGER REFERENCES "interviews"("id"),
   "idx" INTEGER,
   "cluster_id" TEXT,
   "question_id" TEXT,
   "text" TEXT,
   "bank_text" TEXT,
   "tailored" INTEGER,
   "asked_at" REAL,
   PRIMARY KEY ("interview_id", "idx")
);
INSERT INTO "interview_questions" VALUES(1,0,'product_sense','product_sense-b2','Describe a time you had to cut scope to ship an AI feature on time. What did you drop, and how did you decide?','Describe a time you had to cut scope to ship an AI feature on time. What did you drop, and how did you decide?',0,1.79604731949112701415e+09);
INSERT INTO "interview_questions" VALUES(1,1,'prompting','prompting-b3','Walk me through how you organised prompts in a codebase that had grown to dozens of them. What did you version, review and test?','Walk me through how you organised prompts in a codebase that had grown to dozens of them. What did you version, review and test?',0,NULL);
INSERT INTO "interview_questions" VALUES(1,2,'agents_tools','agents_tools-b2','Describe a time an agent got stuck in a loop or kept calling the wrong tool in production. How did you diagnose and fix it?','Describe a time an agent got stuck in a loop or kept calling the wrong tool in production. How did you diagnose and fix it?',0,NULL);
CREATE TABLE "interviews" (
   "id" INTEGER PRIMARY KEY,
   "jd_id" INTEGER REFERENCES "jds"("id"),
   "level" TEXT,
   "status" TEXT,
   "n_questions" INTEGER,
   "created_at" REAL,
   "updated_at" REAL
);
INSERT INTO "interviews" VALUES(1,1,'L5','active',3,1.79604731949012184138e+09,1.79604731949177551277e+09);
CREATE TABLE "jds" (
   "id" INTEGER PRIMARY KEY,
   "title" TEXT,
   "text" TEXT,
   "sha256" TEXT,
   "created_at" REAL
);
INSERT INTO "jds" VALUES(1,'LLM engineer, support automation [real JD]','title: Senior LLM Engineer, Customer Support Automation
flavor: llm_engineer
level: L5
---
We''re Helpwise, and we build the support desk that about 9,000 software companies use to answer their customers. Last year we launched Autopilot, an assistant that drafts and sends replies grounded in each customer''s help center, macros and past tickets. It now resolves roughly a third of inbound conversations without a human touching them. We want that number much higher, without being wrong more often.

The Autopilot team is small (five engineers, one designer, one PM) and most of the work happens around the model: how we retrieve the right knowledge, how we structure prompts and tool calls, how we decide when the bot should hand off to a person, and how we know whether a change actually made things better. We''re looking for someone who has built this kind of system before and can set the technical direction for the team.

What you''ll do
- Own the retrieval-augmented generation pipeline end to end: chunking and indexing of help-center content, hybrid retrieval, reranking, and source citations in answers
- Design the agent loop that lets Autopilot take actions (refund lookups, order status, account changes) through our customers'' APIs, with hard guardrails on what it may do
- Define our evaluation strategy: golden sets per customer vertical, LLM-as-judge rubrics calibrated against human graders, and regression suites that run on every prompt change
- Make the trade-offs between frontier API models and smaller models we host; lead our experiments fine-tuning a small model for intent routing and handoff detection
- Drive the safety work: prompt-injection defenses for end-user content, PII redaction, and clear rules for when the assistant must decline
- Mentor two mid-level engineers and review designs across the team

What you bring
- 5+ years of software engineering, including at least 2 shipping LLM-powered features to real users
- Deep hands-on experience with prompt design, structured outputs, function calling and retrieval (vector stores, BM25, rerankers)
- You''ve built eval harnesses and you know where automated judges fail
- Strong Python; comfortable in a TypeScript codebase
- Good judgment about whether a problem needs a better prompt, better data, or a different product design

Bonus points
- LoRA or other parameter-efficient fine-tuning in practice
- Multilingual support experience
- Background in customer support, CX or contact-center software

The details
Remote within US and Canada time zones. Salary range $195k-$240k plus equity. Medical, dental and vision with 100% of premiums covered for you, 401(k) with a 4% match, $1,500 annual learning budget.

How we interview: a 30-minute intro call, a paid take-home where you improve a small RAG system, a system design conversation, and a values interview with our CTO.
','d0ae3cabcfd74f25d0e34c2e7c14e1390ffcd619fd7ac0121f36b4590b452f17',1.79604731944212317462e+09);
CREATE TABLE "matrix_rows" (
   "jd_id" INTEGER REFERENCES "jds"("id"),
   "cluster_id" TEXT,
   "evidence" TEXT,
   "confidence" INTEGER,
   "updated_at" REAL,
   PRIMARY KEY ("jd_id", "cluster_id")
);
INSERT INTO "matrix_rows" VALUES(1,'evaluation','Built the [bold]eval[/] harness: 40% fewer regressions',2,1.79604731944355154038e+09);
INSERT INTO "matrix_rows" VALUES(1,'debugging','',4,1.79604731944916605947e+09);
CREATE TABLE "scores" (
   "answer_id" INTEGER PRIMARY KEY REFERENCES "answers"("id"),
   "cluster_id" TEXT,
   "overall" INTEGER,
   "points" REAL,
   "rubric_json" TEXT,
   "feedback_json" TEXT,
   "scored_at" REAL
);
INSERT INTO "scores" VALUES(1,'product_sense',1,1.29,'{"competency": "product_sense", "competency_name": "Product sense & experimentation", "question": "Describe a time you had to cut scope to ship an AI feature on time. What did you drop, and how did you decide?", "category": "off_topic", "star": {"situation": 2, "task": 2, "action": 2, "result": 2}, "star_evidence": {"situation": [{"text": "back in", "span": [263, 270]}], "task": [{"text": "I owned", "span": [0, 7]}], "action": [{"text": "I owned", "span": [0, 7]}, {"text": "I traced", "span": [231, 239]}], "result": [{"text": "dropped", "span": [192, 199]}]}, "specificity": {"score": 3, "numbers": ["1,200", "0.85", "0.91", "0.78"], "tools": ["chunking", "evaluation", "faithfulness", "regression test", "retriever", "rollbacks"], "scale": [], "outcome": ["dropped"], "has": ["numbers", "named tools", "outcome"]}, "level_signal": {"value": "L4", "why": "solves a defined problem and explains their own work", "staff_signals": [], "l5_signals": []}, "relevance": {"keyword_hits": [], "method": "keywords", "score": 0.0, "question_overlap": []}, "red_flags": [], "points": 1.29, "overall": 1, "rationale": ["Off topic: relevance 0.00 to Product sense & experimentation and none of its keywords.", "Overall 1/5 from 1.29 points."]}','{"landed": {"text": "Nothing that counts yet: the answer did not address Product sense & experimentation.", "source": "rubric"}, "sharpen": {"text": "Work on: no scale.", "source": "rubric"}, "opening": {"text": "Start with the situation and your role in one sentence, e.g. \"At <company>, I owned <what> for <who>, and we had to <goal> by <when>.\"", "source": "rubric"}, "follow_up": {"text": "Take any project, even a small one, that touched product sense & experimentation: what was the problem, and what did you do about it yourself?", "source": "rubric"}}',1.79604731950996255869e+09);
CREATE TABLE "settings" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT,
   "updated_at" REAL
);
INSERT INTO "settings" VALUES('active_model','qwen2.5-coder-0.5b-instruct-q4_k_m',1.0);
CREATE TABLE "stories" (
   "id" INTEGER PRIMARY KEY,
   "title" TEXT,
   "situation" TEXT,
   "task" TEXT,
   "action" TEXT,
   "result" TEXT,
   "created_at" REAL,
   "updated_at" REAL
);
INSERT INTO "stories" VALUES(1,'Support-bot RAG','Support bot hallucinated refunds.','Make answers faithful.','I built hybrid retrieval and RAGAS evals.','Faithfulness rose from 71% to 87%.',1.79604731944973492622e+09,1.79604731944973492622e+09);
CREATE TABLE "story_links" (
   "story_id" INTEGER REFERENCES "stories"("id"),
   "cluster_id" TEXT,
   "source" TEXT,
   "score" REAL,
   "removed" INTEGER,
   "updated_at" REAL,
   PRIMARY KEY ("story_id", "cluster_id")
);
INSERT INTO "story_links" VALUES(1,'evaluation','manual',1.0,0,1.79604731945003771777e+09);
CREATE UNIQUE INDEX "idx_jds_sha256"
    ON "jds" ("sha256");
COMMIT;
