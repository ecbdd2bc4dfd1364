namespace AgentMessage.Core.Compliance;

public enum LineType
{
    Unknown,
    Mobile,
    Landline,
    Voip,
    TollFree,
}

/// <summary>A line-type classification of a number, made at a point in time by <paramref name="Source"/>
/// (a provider's name; null for records written before sources were kept, such as older seeds).</summary>
public sealed record LineTypeLookup(string Number, LineType LineType, DateTimeOffset LookedUpAt, string? Source = null);
