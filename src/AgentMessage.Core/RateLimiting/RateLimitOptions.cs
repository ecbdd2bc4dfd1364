namespace AgentMessage.Core.RateLimiting;

/// <summary>Default bucket shapes, for organizations without their own (AgentMessage:RateLimits).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "AgentMessage:RateLimits";

    public BucketOptions Send { get; set; } = new() { Burst = 100, PerSecond = 50 };

    public BucketOptions MediaUpload { get; set; } = new() { Burst = 20, PerSecond = 5 };

    public RateLimitPolicy For(RateLimitedOperation operation) => operation switch
    {
        RateLimitedOperation.Send => Send.ToPolicy(),
        RateLimitedOperation.MediaUpload => MediaUpload.ToPolicy(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public sealed class BucketOptions
    {
        public int Burst { get; set; }

        public double PerSecond { get; set; }

        public RateLimitPolicy ToPolicy() => new(Burst, PerSecond);
    }
}
