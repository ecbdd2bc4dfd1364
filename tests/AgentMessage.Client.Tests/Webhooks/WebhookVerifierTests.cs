using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentMessage.Client.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AgentMessage.Client.Tests.Webhooks;

/// <summary>The receiver's verifier against the Standard Webhooks reference implementation (npm standardwebhooks 1.1.1), both ways.</summary>
public sealed class WebhookVerifierTests
{
    private static readonly string[] Payloads =
    [
        """{"type":"message.status","data":{"message_id":"8f3a2b1c","status":"delivered"}}""",
        """{"type":"message.received","data":{"text":"Grüße aus Köln 👋, ça va ?"}}""",
        "not json at all, but signed all the same",
    ];

    [Fact]
    public async Task Verify_SignedByTheReferenceImplementation_AcceptsEveryPayloadAndReturnsItsIdAndTime()
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;
        var signed = await ReferenceWebhooks.RunAsync([.. Payloads.Select((payload, i) => ReferenceWebhooks.Sign(secret, $"msg_{i}", now, payload))]);
        var verifier = new WebhookVerifier(secret);

        for (var i = 0; i < Payloads.Length; i++)
        {
            var message = verifier.Verify(Headers($"msg_{i}", now, (string)signed[i]["signature"]!), Payloads[i]);

            Assert.Equal($"msg_{i}", message.Id);
            Assert.Equal(now.ToUnixTimeSeconds(), message.Timestamp.ToUnixTimeSeconds());
        }
    }

    [Fact]
    public async Task Sign_VerifiedByTheReferenceImplementation_IsAcceptedAndATamperedBodyIsNot()
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;
        var requests = Payloads.Select((payload, i) =>
            ReferenceWebhooks.Verify([secret], Headers($"msg_{i}", now, WebhookVerifier.Sign(secret, $"msg_{i}", now, Encoding.UTF8.GetBytes(payload))), payload)).ToList();
        requests.Add(ReferenceWebhooks.Verify([secret], Headers("msg_0", now, WebhookVerifier.Sign(secret, "msg_0", now, Encoding.UTF8.GetBytes(Payloads[0]))), Payloads[0] + " "));

        var results = await ReferenceWebhooks.RunAsync([.. requests]);

        Assert.All(results.Take(Payloads.Length), result => Assert.True((bool)result["ok"]!, (string?)result["error"]));
        Assert.False((bool)results[^1]["ok"]!);
    }

    [Fact]
    public async Task Verify_SecretsRotated_AcceptsASignatureByEitherAndAHeaderWithBoth()
    {
        var (previous, current, stranger) = (NewSecret(), NewSecret(), NewSecret());
        var now = DateTimeOffset.UtcNow;
        var signed = await ReferenceWebhooks.RunAsync(
            ReferenceWebhooks.Sign(previous, "msg_rot", now, Payloads[0]),
            ReferenceWebhooks.Sign(current, "msg_rot", now, Payloads[0]),
            ReferenceWebhooks.Sign(stranger, "msg_rot", now, Payloads[0]));
        var (byPrevious, byCurrent, byStranger) = ((string)signed[0]["signature"]!, (string)signed[1]["signature"]!, (string)signed[2]["signature"]!);
        var verifier = new WebhookVerifier([current, previous]);

        verifier.Verify(Headers("msg_rot", now, byPrevious), Payloads[0]);
        verifier.Verify(Headers("msg_rot", now, byCurrent), Payloads[0]);
        verifier.Verify(Headers("msg_rot", now, $"{byStranger} {byCurrent}"), Payloads[0]);
        var refusal = Assert.Throws<WebhookVerificationException>(() => verifier.Verify(Headers("msg_rot", now, byStranger), Payloads[0]));
        Assert.Equal("no matching signature found", refusal.Message);
    }

    [Fact]
    public void Verify_BodyOrIdChanged_Refuses()
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;
        var signature = WebhookVerifier.Sign(secret, "msg_1", now, Encoding.UTF8.GetBytes(Payloads[0]));
        var verifier = new WebhookVerifier(secret);

        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(Headers("msg_1", now, signature), Payloads[0].Replace("delivered", "failed", StringComparison.Ordinal)));
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(Headers("msg_2", now, signature), Payloads[0]));
        verifier.Verify(Headers("msg_1", now, signature), Payloads[0]);
    }

    [Theory]
    [InlineData(-301, "message timestamp too old")]
    [InlineData(301, "message timestamp too new")]
    public void Verify_TimestampBeyondTheTolerance_Refuses(int offsetSeconds, string reason)
    {
        var secret = NewSecret();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
        var signedAt = clock.GetUtcNow().AddSeconds(offsetSeconds);
        var signature = WebhookVerifier.Sign(secret, "msg_t", signedAt, Encoding.UTF8.GetBytes(Payloads[0]));
        var verifier = new WebhookVerifier([secret], timeProvider: clock);

        var refusal = Assert.Throws<WebhookVerificationException>(() => verifier.Verify(Headers("msg_t", signedAt, signature), Payloads[0]));

        Assert.Equal(reason, refusal.Message);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Verify_TimestampAtTheToleranceEdge_Accepts(int offsetSeconds)
    {
        var secret = NewSecret();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
        var signedAt = clock.GetUtcNow().AddSeconds(offsetSeconds);
        var verifier = new WebhookVerifier([secret], timeProvider: clock);

        var message = verifier.Verify(Headers("msg_e", signedAt, WebhookVerifier.Sign(secret, "msg_e", signedAt, Encoding.UTF8.GetBytes(Payloads[0]))), Payloads[0]);

        Assert.Equal(signedAt, message.Timestamp);
    }

    [Theory]
    [InlineData("webhook-id")]
    [InlineData("webhook-timestamp")]
    [InlineData("webhook-signature")]
    public void Verify_HeaderMissing_RefusesNamingTheHeaders(string missing)
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;
        var headers = Headers("msg_m", now, WebhookVerifier.Sign(secret, "msg_m", now, Encoding.UTF8.GetBytes(Payloads[0])));
        headers.Remove(missing);

        var refusal = Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(secret).Verify(headers, Payloads[0]));

        Assert.Contains(missing, refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1,not-base64!!")]
    [InlineData("v1a,c2lnbmF0dXJl")]
    [InlineData("v1")]
    [InlineData("v2,AAAA")]
    public void Verify_MalformedOrUnknownSignatureVersion_Refuses(string signature)
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;

        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(secret).Verify(Headers("msg_x", now, signature), Payloads[0]));
    }

    [Fact]
    public void Verify_TimestampNotANumber_Refuses()
    {
        var secret = NewSecret();
        var headers = Headers("msg_n", DateTimeOffset.UtcNow, "v1,AAAA");
        headers["webhook-timestamp"] = "yesterday";

        var refusal = Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(secret).Verify(headers, Payloads[0]));

        Assert.Contains("webhook-timestamp", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AspNetCoreAndHttpClientHeaders_AcceptTheSameRequestWhateverTheNamesCase()
    {
        var secret = NewSecret();
        var now = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes(Payloads[1]);
        var signature = WebhookVerifier.Sign(secret, "msg_h", now, body);
        var verifier = new WebhookVerifier(secret);
        var aspNet = new HeaderDictionary
        {
            ["Webhook-Id"] = "msg_h",
            ["Webhook-Timestamp"] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["Webhook-Signature"] = signature,
        };
        using var request = new HttpRequestMessage();
        request.Headers.Add("WEBHOOK-ID", "msg_h");
        request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signature);

        Assert.Equal("msg_h", verifier.Verify(aspNet, body).Id);
        Assert.Equal("msg_h", verifier.Verify(request.Headers, body).Id);
    }

    [Theory]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64")]
    [InlineData("")]
    public void Constructor_MalformedSecret_ThrowsArgumentException(string secret)
    {
        Assert.ThrowsAny<ArgumentException>(() => new WebhookVerifier(secret));
    }

    private static string NewSecret() => $"whsec_{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";

    private static Dictionary<string, string> Headers(string id, DateTimeOffset timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        ["webhook-signature"] = signature,
    };
}
