"""Recall and false positives on an established scanner's samples: gitleaks' rules.

gitleaks (``cmd/generate/config/rules/*.go``) validates each rule with true-positive samples,
mostly one secret placed in ~30 config and code forms by its sample generator, and with
documented false positives. The bar (issue 12): >= 95% of the true positives found, <= 5% of
the false positives hit. The values below are ours, fake but well-formed in each rule's
shape; the forms mirror the generator's list (INI, JSON, escaped JSON, XML, YAML, C#, Go,
Java, Kotlin, PHP, Python, CSV, Logstash, Makefile); the false positives are written in the
shapes gitleaks documents for each rule.
"""

# Sample lines keep the one-line shape of the scanner's samples; wrapping them would change it.
# ruff: noqa: E501

from __future__ import annotations

import random
import string

from privllm.redaction.scanner import default_detectors, scan

_RNG = random.Random(12)
_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def fake(alphabet: str, n: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def forms(name: str, secret: str) -> list[str]:
    """``secret`` assigned to a variable named after ``name``, in the generator's forms."""
    n = name
    return [
        f'{n}Token="{secret}"',
        f'{n}Token = "{secret}"',
        f"{n}Token={secret}",
        f"{n}Token = {secret}",
        f'{{\n    "{n}_token": "{secret}"\n}}',
        f'\\{{\n    \\"{n}_token\\": \\"{secret}\\"\n\\}}',
        f"<{n}Token>{secret}</{n}Token>",
        f"<{n}Token>\n    {secret}\n</{n}Token>",
        f"{n}_token: {secret}",
        f"{n}_token: '{secret}'",
        f'{n}_token: "{secret}"',
        f"{n}_token: |\n  {secret}",
        f"{n}_token: >\n  {secret}",
        f'string {n}Token = "{secret}";',
        f'var {n}Token string = "{secret}"',
        f'{n}Token := "{secret}"',
        f"{n}Token := `{secret}`",
        f'String {n}Token = "{secret}";',
        f'var {n}Token = "{secret}"',
        f'${n}Token .= "{secret}"',
        f"{n}Token = '{secret}'",
        f'{n}Token = "{secret}"',
        f"{n}Token,{secret},",
        f'  "{n}Token" => "{secret}"',
        f'{n}_TOKEN = "{secret}"',
        f'{n}_TOKEN := "{secret}"',
        f'{n}_TOKEN ::= "{secret}"',
        f'{n}_TOKEN :::= "{secret}"',
        f'{n}_TOKEN ?= "{secret}"',
        f'{n}_TOKEN += "{secret}"',
    ]


def _gcp_key_file() -> str:
    lines = "\\n".join(fake(_ALNUM + "+/", 64) for _ in range(8))
    pem = f"-----BEGIN PRIVATE KEY-----\\n{lines}\\n-----END PRIVATE KEY-----\\n"
    return (
        '{\n  "type": "service_account",\n  "project_id": "acme-prod-4711",\n'
        f'  "private_key_id": "{fake(_HEX, 40)}",\n  "private_key": "{pem}",\n'
        '  "client_email": "ci@acme-prod-4711.iam.gserviceaccount.com"\n}'
    )


# (gitleaks rule id, texts that must yield a SECRET)
TRUE_POSITIVES: list[tuple[str, list[str]]] = [
    ("aws-access-token", forms("AWS", "AKIA" + fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
    ("aws-access-token", forms("AWS", "ASIA" + fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
    ("aws-access-token", forms("AWS", "ABIA" + fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
    ("aws-access-token", forms("AWS", "ACCA" + fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
    ("aws-amazon-bedrock-api-key-long-lived", forms("bedrock", "ABSK" + fake(_ALNUM, 130))),
    (
        "aws-amazon-bedrock-api-key-short-lived",
        forms("bedrock", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t" + fake(_ALNUM, 300)),
    ),
    ("gitlab-pat", forms("gitlab", "glpat-" + fake(_ALNUM, 20))),
    ("gitlab-pat-routable", forms("gitlab", f"glpat-{fake(_ALNUM, 27)}.01{fake(_HEX, 7)}")),
    ("gitlab-ptt", forms("gitlab", "glptt-" + fake(_HEX, 40))),
    ("gitlab-rrt", forms("gitlab", "GR1348941" + fake(_ALNUM, 20))),
    ("gitlab-runner-authentication-token", forms("gitlab", "glrt-" + fake(_ALNUM, 20))),
    ("gitlab-cicd-job-token", forms("gitlab", f"glcbt-{fake(_ALNUM, 5)}_{fake(_ALNUM, 20)}")),
    ("gitlab-deploy-token", forms("gitlab", "gldt-" + fake(_ALNUM, 20))),
    ("gitlab-feed-token", forms("gitlab", "glft-" + fake(_ALNUM, 20))),
    ("gitlab-scim-token", forms("gitlab", "glsoat-" + fake(_ALNUM, 20))),
    ("gitlab-incoming-mail-token", forms("gitlab", "glimt-" + fake(_ALNUM, 25))),
    ("gitlab-kubernetes-agent-token", forms("gitlab", "glagent-" + fake(_ALNUM, 50))),
    ("gitlab-oauth-app-secret", forms("gitlab", "gloas-" + fake(_ALNUM, 64))),
    ("gitlab-feature-flag-client-token", forms("gitlab", "glffct-" + fake(_ALNUM, 20))),
    (
        "slack-bot-token",
        forms(
            "bot", f"xoxb-{fake(string.digits, 12)}-{fake(string.digits, 13)}-{fake(_ALNUM, 24)}"
        ),
    ),
    (
        "slack-user-token",
        forms(
            "user",
            f"xoxp-{fake(string.digits, 11)}-{fake(string.digits, 10)}"
            f"-{fake(string.digits, 11)}-{fake(_HEX, 32)}",
        ),
    ),
    (
        "slack-app-token",
        forms(
            "slack", f"xapp-1-A{fake(string.digits, 10)}-{fake(string.digits, 13)}-{fake(_HEX, 64)}"
        ),
    ),
    ("slack-config-access-token", forms("access", "xoxe.xoxp-1-" + fake(_ALNUM, 163))),
    ("slack-config-refresh-token", forms("refresh", "xoxe-1-" + fake(_ALNUM, 146))),
    (
        "slack-legacy-bot-token",
        forms("slack", f"xoxb-{fake(string.digits, 12)}-{fake(_ALNUM, 24)}"),
    ),
    ("slack-legacy-workspace-token", forms("slack", f"xoxa-2-{fake(_ALNUM, 12)}")),
    (
        "slack-legacy-token",
        forms(
            "slack",
            f"xoxs-{fake(string.digits, 10)}-{fake(string.digits, 10)}"
            f"-{fake(string.digits, 10)}-{fake(_HEX, 10)}",
        ),
    ),
    (
        "slack-webhook-url",
        forms(
            "slack",
            f"https://hooks.slack.com/services/T{fake(string.ascii_uppercase + string.digits, 10)}"
            f"/B{fake(string.ascii_uppercase + string.digits, 10)}/{fake(_ALNUM, 24)}",
        ),
    ),
    ("stripe-access-token", forms("stripe", "sk_live_" + fake(_ALNUM, 30))),
    ("stripe-access-token", forms("stripe", "rk_prod_" + fake(_ALNUM, 30))),
    ("stripe-access-token", forms("stripe", "sk_test_" + fake(_ALNUM, 30))),
    (
        "azure-ad-client-secret",
        [
            *forms("azure", f"{fake(_ALNUM, 3)}8Q~{fake(_ALNUM + '_~.-', 34)}"),
            "client_secret=kT48Q~vWq3Zr8Lm2Xp9Nc4Hd7Jf1Gs5Ue0Ta.6bY",
            '<value xsi:type="xsd:string">~Rm3Q~pLx7Kq2Vw9Yb_3Nc6Hd-1~Jf5Gs0Ue2Ta</value>',
            "(use the client secret: ZwP5Q~4K-_Lm~XqrTvB8Nyc2HdJfGs.Ue7TaWk0)",
        ],
    ),
    ("gcp-service-account", [_gcp_key_file()]),
    ("gcp-api-key", forms("gcp", "AIza" + fake(_ALNUM + "_-", 35))),
    ("twilio-api-key", forms("twilio", "SK" + fake(_HEX, 32))),
    ("sendgrid-api-token", forms("sendgrid", f"SG.{fake(_ALNUM, 22)}.{fake(_ALNUM + '_-', 43)}")),
    ("npm-access-token", forms("npm", "npm_" + fake(_ALNUM, 36))),
    ("pypi-upload-token", forms("pypi", "pypi-AgEIcHlwaS5vcmc" + fake(_HEX, 64))),
    ("dockerhub (trufflehog)", forms("docker", "dckr_pat_" + fake(_ALNUM + "_-", 27))),
    ("huggingface-access-token", forms("huggingface", "hf_" + fake(string.ascii_letters, 34))),
    (
        "huggingface-organization-api-token",
        forms("huggingface", "api_org_" + fake(string.ascii_letters, 34)),
    ),
    ("databricks-api-token", forms("databricks", "dapi" + fake(_HEX, 32))),
    ("generic-api-key", forms("generic", fake(_ALNUM, 32))),
    (
        "generic-api-key",
        [
            f"'access_token': '{fake(_ALNUM, 30)}=='",
            f'some_api_token_123 = "{fake(_ALNUM, 60)}"',
            f'"user_auth": "{fake(_ALNUM + "+/", 40)}="',
            f'"credentials" : "{fake(_HEX, 64)}"',
            f"creds = {fake(_ALNUM, 30)}",
            f"private-key: {fake(_ALNUM + '-_.=', 100)}",
            f"passwd = {fake(_ALNUM + '-_.=', 30)}",
            f'"client_secret" : "{fake(_HEX, 64)}",',
            f"mySecretString={fake(_ALNUM, 30)}",
            f"todo_secret_do_not_commit = {fake(_ALNUM, 30)}",
            f'utils.GetEnvOrDefault("api_token", "{fake(_HEX, 8)}-{fake(_HEX, 4)}-4{fake(_HEX, 3)}")',
        ],
    ),
    (
        "curl-auth-user",
        [
            f"curl --cacert ca.crt -u elastic:{fake(_ALNUM, 10)}$1 https://localhost:9200",
            f"curl -k -X POST https://infinispan:11222/rest \\\n  -d 'world' \\\n"
            f"  -u developer:{fake(_ALNUM, 16)}",
            f'curl -u ":{fake(_ALNUM, 12)}!t" https://localhost:9200',
            f'curl -u "{fake(_ALNUM, 12)}:" https://localhost:9200',
            f"curl -sw '%{{http_code}}' -X POST --user  'johns:{fake(_ALNUM, 12)}~21s' $URL",
            f"curl --user roger23@gmail.com:{fake(_ALNUM, 10)} https://www.example.com -v",
            f"curl -s --user 'api:{fake(_ALNUM, 12)}!t' \\\n    https://api.mailgun.net/v2",
            f'curl -s -v --user "j.smith:{fake(_ALNUM, 12)}#4J" "https://api.contoso.org/me"',
            f"curl --user kevin:'{fake(_ALNUM, 16)}' -iX PATCH",
            f"$ curl https://api.example.com/oauth2/token \\\n  --user "
            f"{fake(_ALNUM.lower(), 15)}:{fake(_ALNUM.lower(), 15)} --data grant_type=code",
        ],
    ),
    (
        "curl-auth-header",
        [
            f"curl --header 'Authorization:  {fake(_HEX, 8)}-{fake(_HEX, 4)}-{fake(_HEX, 4)}'",
            "curl -H 'Authorization: Basic YnJvd3Nlcjo=' \\",
            "curl -X POST -H 'Authorization: Basic ZGVwbG95OnhRN3BMMm1LOXZSNHRXOA==' \\",
            f'curl -X GET "http://localhost/api" -H "Authorization: Bearer {fake(_HEX, 32)}"',
            f'curl -H "Authorization: Bearer sk-{fake(_ALNUM, 48)}" \\',
            f'curl -H "Authorization: Bearer sha256~{fake(_ALNUM, 43)}"',
            f'curl -H "Authorization: Api-Token {fake(_HEX, 40)}" --request PUT https://x.io',
            f'curl -H "Authorization: Token {fake(_HEX, 40)}" --request PUT https://x.io',
            f'curl -X GET \\\n     -H "apikey: {fake(_HEX, 8)}-{fake(_HEX, 4)}-{fake(_HEX, 12)}"',
            f'curl -X POST --header "Api-Token: {fake(_ALNUM, 11)}"',
            f'curl -XPOST http://localhost:8080/api -H "Token: {fake(_HEX, 16)}" -d "c=1"',
            f'curl -X GET https://octopus.corp.net/ -H "X-Octopus-ApiKey: {fake(_HEX, 32)}"',
        ],
    ),
]

# (gitleaks rule id, texts that must not yield a SECRET), written in the shapes gitleaks
# lists as false positives: placeholders, low entropy, wrong case or length, glued to words.
FALSE_POSITIVES: list[tuple[str, list[str]]] = [
    (
        "aws-access-token",
        [
            "key = AKIAXXXXXXXXXXXXXXXX",
            "aws_access_key: AKIAIOSFODNN7EXAMPLE",
            'msgstr "Näytä asiakirjamallikansio."',
            "TODAYINASIAASACKOFRICEFELLOVER",
            "CTTCATAGGGTTCACGCTGTGTAAT-ACG--CCTGAGGC-CACA-AGGGGACTTCAGCAACCGTCGGG-GATTC",
        ],
    ),
    ("gitlab-pat", ["glpat-XXXXXXXXXXX-XXXXXXXX"]),
    ("gitlab-pat-routable", ["glpat-xxxxxxxx-xxxxxxxxxxxxxxxxxx.xxxxxxxxx"]),
    ("gitlab-ptt", ["glptt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]),
    ("gitlab-rrt", ["GR134894112312312312312312312", "GR1348941XXXXXXXXXXXXXXXXXXXX"]),
    (
        "gitlab-runner-authentication-token-routable",
        ["glrt-tx_xxxxxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxx"],
    ),
    (
        "slack-bot-token",
        [
            "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
            "xoxb-xxx",
            "xoxb-12345-abcd234",
            "xoxb-xoxb-my-bot-token",
        ],
    ),
    (
        "slack-user-token",
        [
            "https://docs.google.com/document/d/1W7KCxOxP-1Fy5EyF2lbJGE2WuKmu5v0suYqoHas1jRM",
            '"token1": "xoxp-1234567890"',
            '"token2": "xoxp-XXXXXXXXXX-XXXXXXXXXX-XXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"',
            '"token3": "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d"',
            '"token4": "xoxp-572370529330-573807301142-572331691188-####################"',
        ],
    ),
    (
        "slack-config-access-token",
        [
            "xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere",
            "xoxe.xoxp-1-RANDOMSTRINGHERE",
            "xoxe.xoxp-1-initial",
        ],
    ),
    ("slack-config-refresh-token", ["xoxe-1-xxx", "XOxE-RROAmw, Home and Garden, 5:24, 20120323"]),
    (
        "slack-legacy-bot-token",
        ["xoxb-xxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx", "xoxb-Slack_BOT_TOKEN", "xoxb-abcdef-abcdef"],
    ),
    (
        "slack-legacy-workspace-token",
        ["https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md"],
    ),
    ("slack-legacy-token", ["https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg"]),
    (
        "azure-ad-client-secret",
        [
            "![img](https://p3-juejin.byteimg.com/tos-cn-i-k3u1fbpfcp/6a9e704af49b4380bb686f0c96d33b81~tplv-k3u1fbpfcp-watermark.image)",
            "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
            ".ui.visible.right.sidebar~.ui.visible.left.sidebar~.pusher{transform:translate3d(0,0,0)}",
            "'url': 'http://www.2doc.nl/speel~VARA_101375237~mh17-het-verdriet-van-nederland~.html',",
            "'#!/registries/5/portainer.demo~2Fportainerregistrytesting~2Falpine',",
            'Identity="USK@u2vn3Lh6Kte2-TgBSNKorbsKkuAt34ckoLmgx0ndXO0,4~q8Q~3wIHjX9DT0yCNfQmr9oxmYrDZoQVLOdNg~yk0,AQACAAE/W"',
            "client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ],
    ),
    (
        "gcp-api-key",
        [
            "GWw4hjABFzZCGiRpmlDyDdo87Jn9BN9THUA47muVRNunLxsa82tMAdvmrhOqNkRKiYMEAFbTJAIzaTesb6Tscfcni8vIpWZqNCXFDFslJtVSvFDq",
            "AIzaTesb6Tscfcni8vIpWZqNCXFDFslJtVSvFDqabcd123",
            'apiKey: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"',
            "AIZASYCO2CXRMC9ELSKLHLHRMBSWDEVEDZTLO2O",
        ],
    ),
    (
        "huggingface-access-token",
        [
            "- (id)hf_requiredCharacteristicTypesForDisplayMetadata;",
            'amazon.de#@#div[data-cel-widget="desktop-rhf_SponsoredProductsRemoteRHFSearchEXPSubsK2ClickPagination"]',
            "                            _kHMSymptomhf_generatedByHomeAppForDebuggingPurposesKey,",
            "  M_UINT       (ServingCellPriorityParametersDescription_t,  H_PRIO,  2, &hf_servingcellpriorityparametersdescription_h_prio),",
            'os.environ.get("HF_AUTH_TOKEN",\n"hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),',
            "HUGGINGFACE_API_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,",
        ],
    ),
    (
        "huggingface-organization-api-token",
        [
            'public static final String API_ORG_EXIST = "APIOrganizationExist";',
            "const api_org_controller = require('../../controllers/api/index').organizations;",
            "    def _api_org_96726c78_4ae3_402f_b08b_7a78c6903d2a(self, method, url, body, headers):",
            "You should see a token hf_xxxxx (old tokens are api_XXXXXXXX or api_org_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx).",
        ],
    ),
    (
        "curl-auth-user",
        [
            "curl -i -u 'test:test'",
            '   curl -sL --user "$1:$2" "$3" > "$4"',
            "curl -u <user:password> https://test.com/endpoint",
            "curl --user neo4j:[PASSWORD] http://[IP]:7474/db/data/",
            'curl -u "myusername" http://localhost:15130/api/check_user/',
            "curl -u username:token",
            'curl -u "${_username}:${_password}"',
            'curl -u "${username}":"${password}"',
            'curl -k -X POST -I -u "SRVC_JENKINS:${APPID}"',
            'curl -u ":" https://localhost:9200',
            "curl -sw '%{http_code}' -X POST --user '$USERNAME:$PASSWORD' $URL --data",
            'curl --user "xxx:yyy"',
            'curl -XGET -i -u "${{ env.ELK_ID }}:${{ build.env.ELK_PASS }}"',
            'curl -X POST --user "$(cat ./login.txt):$(cat ./password.txt)"',
            "curl http://127.0.0.1:5000/file --user user:pass --digest        # digest auth",
            '   curl -X GET --insecure --user "username:password" \\',
            "curl --silent --insecure --user ${f5user}:${f5pass} \\",
            'curl --ssl-reqd "smtps://smtp.example.com" --user "src@example.com" --upload-file out.txt',
        ],
    ),
    (
        "curl-auth-header",
        [
            'curl https://example.com/micropub -d h=entry -H "Authorization: Bearer XXXXXXXXXXXX"',
            'curl -X POST https://accounts.example.com/api/token --header "Authorization: Basic ..."',
            'curl \\\n  -H "Authorization: Bearer <Openverse API token>" \\',
            '  -H "Authorization: Token **********" \\',
            'curl -XPOST http://localhost:8080/api/token -H "Authorization: basic {base64(email:password[\\n])}"',
            'curl -X GET \\\n     -H "apikey: $API_KEY" \\\n     -H "Accept: $FORMAT" \\',
            'curl -H "Authorization: Bearer $API_KEY" \\',
            'curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x.googleapis.com',
            'curl -H "Authorization: Basic eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjb25maWRlbmNlIjowLjh9" \\',
        ],
    ),
    (
        "generic-api-key",
        [
            '"accessor":"rA1wk0Y45YCufyfq",',
            "report_access_id: 1f6a9c3e-7b24-4d80-b5e1-93c0d2a7f648",
            'accessibilityYesOptionId = "5c1e8a2f-3d47-4b69-8f0a-e2b7c4d91063"',
            'this.ultraPictureBox1.Name = "ultraPictureBox1";',
            "rapidstring:marm64-uwp=fail",
            "COMMUNICATION_API_VERSION=rc0.13.0_20230412_0712-SNAPSHOT",
            "MantleAPI_version=3e7b1c9d5f2a8e4c0b6d9f1a3c5e7b2d4f6a8c0e",
            "[DEBUG]\t\torg.slf4j.slf4j-api:jar:1.7.8.:compile (version managed from default)",
            "apiUrl=apigee.corpint.com",
            'X-API-Name": "NRG0-Hermes-INTERNAL-API",',
            'author = "james.fake@ymail.com",',
            "X-MS-Exchange-Organization-AuthSource: sm02915.int.contoso.com",
            "Authentication-Results: 5h.ca.iphmx.com",
            "withCredentials([usernamePassword(credentialsId: '4b7e1c90-3a2d-4f6e-9b81-2c5d7e8f0a13', usernameVariable: 'USERNAME', passwordVariable: 'PASSWORD')]) {",
            "credentialsId: '8d2c4e61-9f03-4b7a-a5e2-1c6f0d3b9e47'",
            '  "credentialId": "Xk4Pq9Lm3Zr8Wn2Bv6Cy1D",',
            'environment {\n\tCREDENTIALS_ID = "K8S_CRED"\n}',
            "dev.credentials.url=dev-lb1.api.f4ke.com:5215",
            'keyword: "Befaehigung_P2"',
            'public_key = "4Hxq7Lm2Pz9WkRt3Vb8Nc1Jd6Gf5Ys0Ua2Te7Kw4Qp"',
            "pub const X509_pubkey_st = struct_X509_pubkey_st;",
            "primaryKey=Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0",
            "foreignKey=Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0",
            "key_down_event=Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0",
            "issuerKeyHash=Zq8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0",
            '<entry key="jetbrains.mps.v8_elimination" value="executed" />',
            "IceSSL.KeyFile=s_rsa1024_priv.pem",
            '"bucket_key": "SalesResults-1.2"',
            "schemaKey = 'DOC_Vector_5_32'",
            "app.keystore.file=env/cert.p12",
            "-DKEYTAB_FILE=/tmp/app.keytab",
            '"kms_key_id": "6b2d8f1e-4c7a-4e93-b0d5-1a9c3e7f2b64",',
            '"key_vault_name": "web21prqodx24021",',
            "keyVaultToStoreSecrets: cmp2-qat-1208358310",
            'const validKeyChars = "0123456789abcdefghijklmnopqrstuvwxyz_-."',
            'const keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"',
            "key_length = XSalsa20.key_length",
            'pub const SN_id_Gost28147_89_None_KeyMeshing = "id-Gost28147-89-None-KeyMeshing"',
            "KeyPair = X25519.KeyPair",
            "            keyPressed = kVK_Return.u16",
            "password combination.\n\nR5: Regulatory--21",
            "PuttyPassword=0",
            'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"',
            "  <UserSecretsId>2e9c4a71-8b3d-4f06-a1e5-c7d2b9f08a34</UserSecretsId>",
            "secret_length = X25519.secret_length",
            "secretSize must be >= XXH3_SECRET_SIZE_MIN",
            "#RUN --mount=type=secret,id=jfrog_secret \\\n#    JFROG_SECRET = $(cat /run/secrets/jfrog_secret) && \\",
            "    access_token_url='https://github.com/login/oauth/access_token',",
            'publicToken = "4Hxq7Lm2Pz9WkRt3Vb8Nc1Jd6Gf5Ys0Ua2Te7Kw4Qp"',
            'notes            = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2"',
            "csrf-token=Qz8xK2mLp4Rt7Vw9Yb3Nc6Hd1Jf5Gs0Ue2Ta7Xk4Pq9Lm3Zr8Wn2Bv6Cy1Dz5Fa0Gh/Jk3Lm7Np2Qr6St==",
            'clientId = "91c5e3a7-2d8b-4f14-b6e0-7a3c9d1f5e28"',
            "GITHUB_API_KEY=\nDYNATRACE_API_KEY=",
            "snowflake.password=\njdbc.snowflake.url=",
            "import { chain_Anvil1_Key, chain_Anvil2_Key } from '../blockchain-tests/consts';",
            'SRCREV_moby = "8c2e4a6f0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f"',
            'LIC_FILES_CHKSUM = "file://${WORKDIR}/license.html;md5=a3f1c7e9b5d2048e6c1f9a7b3d5e2c80"',
        ],
    ),
]


def _hits(text: str) -> bool:
    return any(f.type == "SECRET" for f in scan(text, default_detectors(["SECRET"])))


def rates() -> tuple[float, float, list[tuple[str, str]], list[tuple[str, str]]]:
    misses = [(rule, t) for rule, texts in TRUE_POSITIVES for t in texts if not _hits(t)]
    hits = [(rule, t) for rule, texts in FALSE_POSITIVES for t in texts if _hits(t)]
    n_tp = sum(len(texts) for _, texts in TRUE_POSITIVES)
    n_fp = sum(len(texts) for _, texts in FALSE_POSITIVES)
    return 1 - len(misses) / n_tp, len(hits) / n_fp, misses, hits


def test_gitleaks_samples_recall_and_false_positives() -> None:
    recall, fp_rate, misses, hits = rates()
    assert recall >= 0.95, misses
    assert fp_rate <= 0.05, hits


if __name__ == "__main__":  # python tests/redaction/test_secrets_scanner_samples.py
    recall, fp_rate, misses, hits = rates()
    n_tp = sum(len(t) for _, t in TRUE_POSITIVES)
    n_fp = sum(len(t) for _, t in FALSE_POSITIVES)
    print(f"recall {recall:.3f} on {n_tp} samples; false positives {fp_rate:.3f} of {n_fp}")
    for rule, text in misses:
        print("missed", rule, repr(text[:90]))
    for rule, text in hits:
        print("hit", rule, repr(text[:90]))
