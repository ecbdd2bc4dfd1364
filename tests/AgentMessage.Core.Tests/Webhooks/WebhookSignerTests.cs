using System.Text;
using AgentMessage.Core.Webhooks;

namespace AgentMessage.Core.Tests.Webhooks;

/// <summary>Standard Webhooks signatures, against the specification's published example.</summary>
public sealed class WebhookSignerTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");

    [Fact]
    public void Sign_MatchesTheSpecificationsExample()
    {
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookSigner.Sign([Secret], Id, Timestamp, Body));
    }

    [Fact]
    public void Sign_WithTwoSecrets_GivesBothSignaturesSpaceSeparated_CurrentFirst()
    {
        var other = WebhookSigner.NewSecret();

        var header = WebhookSigner.Sign([other, Secret], Id, Timestamp, Body).Split(' ');

        Assert.Equal(2, header.Length);
        Assert.Equal(WebhookSigner.Sign([other], Id, Timestamp, Body), header[0]);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header[1]);
    }

    [Fact]
    public void NewSecret_IsWhsecAnd32RandomBytes()
    {
        var first = WebhookSigner.NewSecret();

        Assert.StartsWith("whsec_", first, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(first["whsec_".Length..]).Length);
        Assert.NotEqual(first, WebhookSigner.NewSecret());
    }

    [Fact]
    public void SigningSecrets_KeepThePreviousSecretOnlyUntilItExpires()
    {
        var now = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
        var endpoint = new WebhookEndpoint("wh_1", "https://hooks.example", [WebhookEventTypes.MessageStatus], "", null, "whsec_bmV3", "whsec_b2xk", now.AddHours(24), now, now);

        Assert.Equal(["whsec_bmV3", "whsec_b2xk"], endpoint.SigningSecrets(now.AddHours(23)));
        Assert.Equal(["whsec_bmV3"], endpoint.SigningSecrets(now.AddHours(24)));
    }
}
